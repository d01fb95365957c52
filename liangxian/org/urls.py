from django.urls import path

from . import views

app_name = "org"
urlpatterns = [
    path("", views.unit_list, name="units"),
    path("units/<str:code>/", views.unit_detail, name="unit"),
    path("departments/<str:code>/contact/", views.contact_designate, name="contact_designate"),
    path("townships/<str:code>/appoint/", views.township_appoint, name="township_appoint"),
    path("townships/<str:code>/specialist/filings/", views.specialist_filing, name="specialist_filing"),
    path("townships/<str:code>/specialist/replace/", views.specialist_replace, name="specialist_replace"),
    path("villages/<str:code>/", views.unit_detail, name="village"),
    path("villages/<str:code>/handlers/add/", views.handler_add, name="handler_add"),
    path("villages/<str:code>/handlers/<int:pk>/edit/", views.handler_edit, name="handler_edit"),
    path("villages/<str:code>/handlers/<int:pk>/deactivate/", views.handler_deactivate, name="handler_deactivate"),
    path("villages/<str:code>/handlers/notice/", views.handler_notice, name="handler_notice"),
    path("villages/<str:code>/handlers/notice.pdf", views.handler_notice_pdf_view, name="handler_notice_pdf"),
    path("villages/<str:code>/collectors/authorise/", views.collector_authorise, name="collector_authorise"),
    path("villages/<str:code>/collectors/<int:pk>/withdraw/", views.collector_withdraw, name="collector_withdraw"),
]
