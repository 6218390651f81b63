from django.contrib.admin.apps import AdminConfig


class ClinicAdminConfig(AdminConfig):
    """Django's admin, with ClinicAdminSite (clinic admins only) as the default site."""

    default_site = "clinic.admin_site.ClinicAdminSite"
