"""Routes of the account pages, mounted at the site root."""

from django.urls import path

from accounts.pages import views

urlpatterns = [
    path("accounts/signup", views.signup, name="signup"),
    path("accounts/login", views.LoginView.as_view(), name="login"),
    path("accounts/logout", views.LogoutView.as_view(), name="logout"),
    path("accounts/password", views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/preferences", views.preferences, name="preferences"),
    path("accounts/profile", views.profile, name="profile"),
    path("accounts/language", views.switch_language, name="switch-language"),
]
