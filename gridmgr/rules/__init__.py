"""Pure domain rules, no I/O: the 3+N schedule, staffing, naming, clocks."""
