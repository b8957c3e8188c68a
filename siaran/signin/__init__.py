"""Sign-in: django-allauth in Siaran's look, with the institution's rules (closed sign-up,
a second factor required by the institution, its own OpenID Connect provider) and
django-axes' lockout."""
