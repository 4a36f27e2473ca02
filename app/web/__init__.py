"""The web dashboard and the offline GraphiQL page: static files served by the API."""
