from allauth.account.forms import LoginForm as AllauthLoginForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AllauthLoginForm):
    """allauth's login form, with a label that says what to type (its own says "Login")."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].label = _("Username or e-mail")
        self.fields["login"].widget.attrs.update(
            autocapitalize="none", autocomplete="username", placeholder=""
        )
        self.fields["password"].widget.attrs.update(placeholder="")
