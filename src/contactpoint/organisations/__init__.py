"""Organisations (councils, schools, GP practices, services, ...) and their practitioners."""
