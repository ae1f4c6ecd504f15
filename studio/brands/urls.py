from django.urls import path

from . import views

urlpatterns = [
    path("teams/<uuid:uuid>/brand-kits/", views.brand_kit_list, name="brand_kit_list"),
    path("teams/<uuid:uuid>/brand-kits/new/", views.brand_kit_create, name="brand_kit_create"),
    path("brand-kits/<uuid:uuid>/edit/", views.brand_kit_edit, name="brand_kit_edit"),
    path("brand-kits/<uuid:uuid>/delete/", views.brand_kit_delete, name="brand_kit_delete"),
    path("brand-kits/<uuid:uuid>/logo/", views.brand_kit_logo, name="brand_kit_logo"),
    path("projects/<uuid:uuid>/brand-kit/", views.project_brand_kit, name="project_brand_kit"),
    path("brand-kits/<uuid:uuid>/elements/", views.element_create, name="brand_kit_element_create"),
    path("elements/<uuid:uuid>/edit/", views.element_edit, name="element_edit"),
    path("elements/<uuid:uuid>/delete/", views.element_delete, name="element_delete"),
]
