"""The API's routers, one per concern; ``serve.app.create_app`` includes them all."""
