"""Domain packs: one sub-package per sector (environment, tourism, transport, water, ...), each
declaring the datasets, sensor kinds, alert rules, service items and demo data of its sector
for the engines to serve. A pack is data; it adds no code path to an engine."""
