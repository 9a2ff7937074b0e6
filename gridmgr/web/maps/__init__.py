"""Every page map built one way: Folium layers (no Flask) and the base maps."""
