"""Market pack: market-entity registration, licences, food-safety complaints."""
