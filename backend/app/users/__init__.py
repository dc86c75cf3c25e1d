"""Users, businesses and memberships: who exists and who may reach which business.

The bottom of the account layer: it imports nothing from `app.auth`. Everything that needs
the caller of a request (the `/users` routes, the business-access dependencies) lives in
`app.auth`, which builds on this package; agent tools reach the same rule through
`service.resolve_access`.
"""
