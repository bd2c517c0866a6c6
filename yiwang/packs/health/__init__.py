"""Health pack: birth certificates, medical and public-place health licences."""
