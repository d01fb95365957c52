from django.contrib import admin
from django.urls import include, path

from config.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("calendar/", include("liangxian.core.urls")),
    path("residents/", include("liangxian.registry.urls")),
    path("org/", include("liangxian.org.urls")),
    path("exchange/", include("liangxian.exchange.urls")),
    path("campaigns/", include("liangxian.campaigns.urls")),
    path("obligations/", include("liangxian.obligations.urls")),
    path("roster/", include("liangxian.roster.urls")),
    path("collection/", include("liangxian.collection.urls")),
    path("cash/", include("liangxian.cash.urls")),
    path("refunds/", include("liangxian.refunds.urls")),
    path("treasury/", include("liangxian.treasury.urls")),
    path("bureaus/", include("liangxian.bureaus.urls")),
    path("entitlements/", include("liangxian.entitlements.urls")),
    path("finance/", include("liangxian.finance.urls")),
    path("reports/", include("liangxian.reports.urls")),
    path("national/", include("liangxian.national.urls")),
    path("screening/", include("liangxian.screening.urls")),
    path("outreach/", include("liangxian.outreach.urls")),
    path("complaints/", include("liangxian.complaints.urls")),
    path("assessment/", include("liangxian.assessment.urls")),
    path("", include("liangxian.portal.urls")),
    path("", include("liangxian.web.urls")),
]
