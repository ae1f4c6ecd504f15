from django.urls import path

from . import views

urlpatterns = [
    path("playlists/<uuid:uuid>/deliveries/", views.delivery_start, name="delivery_start"),
    path("deliveries/<uuid:uuid>/", views.delivery_detail, name="delivery_detail"),
    path("deliveries/<uuid:uuid>/retry/", views.delivery_retry, name="delivery_retry"),
    path("deliveries/<uuid:uuid>/package.zip", views.delivery_package, name="delivery_package"),
    path("deliveries/<uuid:uuid>/sheet/", views.delivery_sheet, name="delivery_sheet"),
    path("deliveries/<uuid:uuid>/sheet.csv", views.delivery_sheet_csv, name="delivery_sheet_csv"),
]
