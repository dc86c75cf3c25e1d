"""Notifications: the daily digest of new recommendations, sent through an email interface."""
