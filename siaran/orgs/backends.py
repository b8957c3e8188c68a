"""Login with Django's own user model; every signed-in request also needs the person."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class PersonBackend(ModelBackend):
    """Loads the user's person and institution in the same query as the user: every page
    and every action of a signed-in user reads them."""

    def get_user(self, user_id):
        user = (
            get_user_model()
            ._default_manager.select_related("person__organization")
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None
