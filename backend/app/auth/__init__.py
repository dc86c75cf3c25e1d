"""Who is calling, and what they may touch: sign-up and login, tokens, Google sign-in, the
`CurrentUser` dependency, the business-access dependencies (`access.py`) and the `/users`
routes that act on the caller.

Built on `app.users` (the accounts themselves), which never imports this package back.
"""
