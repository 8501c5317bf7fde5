"""Dramatiq broker set-up, the (thin) actors, and the runtime that runs them with the sweeper."""
