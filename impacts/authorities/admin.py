"""This package's admin pages (imported by impacts.admin, which Django discovers)."""
