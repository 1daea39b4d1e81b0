"""The web app: server-rendered pages, the JSON API under /api/v1, and feeds out.

Build it with ``herald.web.app.create_app(herald)`` and serve it with any ASGI server.
"""
