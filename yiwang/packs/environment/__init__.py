"""Environment pack: air quality (HJ 633-2012), surface water (GB 3838-2002), discharges."""
