"""Government-services pack: items of the service centres, public-data opening."""
