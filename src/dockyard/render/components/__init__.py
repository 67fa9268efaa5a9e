"""The platform's own components: what each is, where its chart comes from, and its values."""
