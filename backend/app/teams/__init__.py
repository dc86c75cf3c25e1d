"""Teams: invitations, members and roles, and deleting a business or an account on request."""
