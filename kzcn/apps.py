from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    """django.contrib.admin with our site class (two-factor sign-in when required)."""

    default_site = "kzcn.admin_site.AdminSite"
