"""The catalog engine: the government data-resource catalogue, its datastore, sharing between
departments and open data, served through the native API, CKAN's Action API and DCAT-AP."""
