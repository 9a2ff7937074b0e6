"""Reading and writing files: the GeoJSON parser, any format read into a validated area, cell exports."""
