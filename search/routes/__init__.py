"""The API's routers, one per resource; ``search/api.py`` assembles them into the app."""
