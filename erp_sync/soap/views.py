"""Staff pages under the Oscar dashboard: the outbox and the reconciliation.

Staff read both pages and may run a reconciliation (it only compares). Whatever
moves points or movements (accepting the accounting system's balance, sending
movements again, fetching its corrections) needs the loyalty managers'
permission, as every change of points in the loyalty dashboard does.
"""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from oscar.core.loading import get_model

from erp_sync import outbox, reconciliation
from erp_sync.soap.client import ErpError
from oscar_loyalty.dashboard.apps import MANAGE

OutboxMessage = get_model("erp_sync", "OutboxMessage")
ErpChange = get_model("erp_sync", "ErpChange")
ReconciliationRun = get_model("erp_sync", "ReconciliationRun")
ReconciliationLine = get_model("erp_sync", "ReconciliationLine")


def can_manage(user):
    """May ``user`` change points or what is sent to the accounting system (``oscar_loyalty.manage_loyalty``)?"""
    return user.has_perm(MANAGE)


def require_manager(request):
    """Refuse (403, as Oscar's dashboard does) a staff member without the loyalty managers' permission."""
    if not can_manage(request.user):
        raise PermissionDenied


@method_decorator(staff_member_required(login_url="dashboard:login"), name="dispatch")
class OutboxView(View):
    template_name = "erp_sync/outbox_list.html"

    def get(self, request):
        status = request.GET.get("status", OutboxMessage.PARKED)
        if status not in {choice for choice, _label in OutboxMessage.STATUS_CHOICES}:
            status = OutboxMessage.PARKED
        rows = OutboxMessage.objects.filter(status=status).order_by("-id" if status == "delivered" else "id")
        page = Paginator(rows, 50).get_page(request.GET.get("page"))
        return render(
            request,
            self.template_name,
            {
                "status": status,
                "statuses": OutboxMessage.STATUS_CHOICES,
                "counts": outbox.stats(),
                "page_obj": page,
                "changes": ErpChange.objects.all()[:20],
                "can_manage": can_manage(request.user),
            },
        )

    def post(self, request):
        require_manager(request)
        action = request.POST.get("action")
        if action == "retry":
            selected = [pk for pk in request.POST.getlist("selected") if pk.isdigit()]
            queryset = OutboxMessage.objects.filter(pk__in=selected) if selected else OutboxMessage.objects.all()
            from erp_sync.tasks import deliver_after_commit

            accounts = outbox.retry_parked(queryset)
            deliver_after_commit(accounts)
            messages.success(request, outbox.retried_message(len(accounts)))
        elif action == "sweep":
            from erp_sync.tasks import sweep_outbox_task

            transaction.on_commit(sweep_outbox_task.delay)
            messages.success(request, _("Waiting movements are being sent."))
        elif action == "pull":
            from erp_sync.tasks import pull_erp_changes_task

            transaction.on_commit(pull_erp_changes_task.delay)
            messages.success(request, _("Changes are being fetched from the accounting system."))
        else:
            messages.error(request, _("Unknown action."))
        return redirect(f"{request.path}?status={request.GET.get('status', OutboxMessage.PARKED)}")


@method_decorator(staff_member_required(login_url="dashboard:login"), name="dispatch")
class ReconciliationView(View):
    template_name = "erp_sync/reconciliation.html"

    def get(self, request, pk=None):
        run = get_object_or_404(ReconciliationRun, pk=pk) if pk else ReconciliationRun.objects.first()
        context = {"run": run, "runs": ReconciliationRun.objects.all()[:10], "can_manage": can_manage(request.user)}
        if run is not None:
            show = request.GET.get("show", "differences")
            lines = run.lines.all() if show == "all" else run.lines.exclude(state=ReconciliationLine.MATCHED)
            export = request.GET.get("export")
            if export == "csv":
                response = HttpResponse(content_type="text/csv; charset=utf-8")
                response["Content-Disposition"] = f'attachment; filename="reconciliation-{run.pk}.csv"'
                reconciliation.write_csv(run, response, lines=lines)
                return response
            if export == "xml":
                response = HttpResponse(content_type="application/xml; charset=utf-8")
                response["Content-Disposition"] = f'attachment; filename="reconciliation-{run.pk}.xml"'
                reconciliation.write_xml(run, response, lines=lines)
                return response
            if export:
                raise Http404()
            context.update(
                show=show,
                summary=reconciliation.summarize(run),
                page_obj=Paginator(lines, 100).get_page(request.GET.get("page")),
            )
        return render(request, self.template_name, context)

    def post(self, request, pk=None):
        action = request.POST.get("action")
        if action == "run":
            try:
                run = reconciliation.reconcile(started_by=_name(request.user))
            except ErpError as exc:
                messages.error(
                    request, _("The accounting system could not be read: %(error)s") % {"error": exc.message}
                )
                return redirect("erp-sync-dashboard:reconciliation")
            messages.success(request, str(reconciliation.summarize(run)))
            return redirect("erp-sync-dashboard:reconciliation-run", pk=run.pk)
        require_manager(request)
        line = get_object_or_404(ReconciliationLine, pk=request.POST.get("line") or 0, run_id=pk)
        try:
            if action == "push":
                with transaction.atomic():
                    reconciliation.resolve_by_pushing(line, actor=request.user)
                messages.success(
                    request,
                    _("The shop's movements for %(reference)s will be sent again.") % {"reference": line.reference},
                )
            elif action == "accept":
                # Not inside a transaction: the accounting system is asked before the account is locked.
                reconciliation.resolve_by_accepting(line, actor=request.user)
                messages.success(
                    request,
                    _("The accounting system's balance of %(reference)s was accepted.") % {"reference": line.reference},
                )
            else:
                messages.error(request, _("Unknown action."))
        except (reconciliation.ReconciliationError, ErpError) as exc:
            messages.error(request, str(exc))
        return redirect("erp-sync-dashboard:reconciliation-run", pk=line.run_id)


def _name(user):
    from oscar_loyalty.ledger.people import display_name

    return display_name(user)
