from django.urls import path

from followthrough.search import views

urlpatterns = [
    path("", views.search_page, name="search"),
    path("suggestions/", views.suggestions, name="search_suggestions"),
    path("customers/", views.customer_choices, name="search_customer_choices"),
]
