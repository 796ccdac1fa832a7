"""Routes of the accounts API, mounted under the API version prefix (`/api/v2/`)."""

from django.urls import path

from accounts.api import views

urlpatterns = [
    path("auth/register", views.RegisterView.as_view(), name="auth-register"),
    path("auth/login", views.LoginView.as_view(), name="auth-login"),
    path("auth/refresh", views.RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    path("users/profile", views.ProfileView.as_view(), name="users-profile"),
    path("users/preferences", views.PreferencesView.as_view(), name="users-preferences"),
]
