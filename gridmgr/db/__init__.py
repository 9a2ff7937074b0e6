"""The database: models, engines and transactions, shared queries, migrations, backup."""
