from django.shortcuts import get_object_or_404, render

from .models import Project


def home(request):
    return render(request, "projects/home.html", {})


def project_list(request):
    return render(request, "projects/project_list.html", {"projects": Project.objects.all()})


def project_detail(request, slug):
    project = get_object_or_404(Project, slug=slug)
    return render(request, "projects/project_detail.html", {"project": project})


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)
