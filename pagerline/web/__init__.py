"""The live dashboard served at ``/``: static HTML, CSS and JavaScript, no build step."""
