"""Sign-in, sign-out and password change: Django's auth views with our forms and templates.
django-axes counts failures by username and shows registration/locked_out.html when locked."""

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from .forms import ChangePasswordForm, LoginForm


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5): a link cannot sign a user out behind their back."""


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = ChangePasswordForm
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"
