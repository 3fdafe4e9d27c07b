"""The web portal of the CAE platform: a backend-for-frontend that owns no domain data.

The browser holds a session cookie; the portal keeps the signed-in person's token on the
server side and calls the services' HTTP APIs with it. Rooms as in every service:
``domain`` (pure: money in French, the months of a chart, the shortfall), ``usecases``
(what a page needs, through a gateway protocol), ``adapters`` (the HTTP client to the
services, the session store, the OpenID Connect client, the catalogues), ``entrypoints``
(the Flask application, its templates and static files, the server).
"""
