"""Import commands' engines: division codes from CSV (`divisions`) and boundaries and grids from
GeoJSON (`geojson`), sharing the row-level report and the batch audit rows in `report`."""
