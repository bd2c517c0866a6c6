"""Hand-written reference rows for the catalog's demo data (places, stations, institutions):
the demo generates its tables from these with a seeded random generator."""
