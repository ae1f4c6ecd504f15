from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from studio.htmx import AuthenticatedHttpRequest

from . import services, tasks
from .forms import InvitationSignupForm, InviteForm, TeamForm
from .models import ROLE_ACTIONS, Action, Invitation, Membership, ReviewRule, Role

# Owners first, then by how much each role may do.
ROLE_ORDER = Case(
    *[When(role=role, then=Value(rank)) for rank, role in enumerate(Role.values)],
    output_field=IntegerField(),
)


def get_own_membership(request: HttpRequest, team_uuid) -> Membership:
    """The user's membership of a team, from the list the topbar switcher reads anyway: 404 for
    someone outside it."""
    for membership in services.user_memberships(request):
        if membership.team.uuid == team_uuid:
            return membership
    raise Http404("No such team.")


def get_member(request: AuthenticatedHttpRequest, uuid) -> Membership:
    """Any membership of one of the user's teams (the one an owner acts on)."""
    return get_object_or_404(
        Membership.objects.filter(team__memberships__user=request.user).select_related(
            "team", "user"
        ),
        uuid=uuid,
    )


def get_invitation(request: AuthenticatedHttpRequest, uuid) -> Invitation:
    return get_object_or_404(
        Invitation.objects.filter(team__memberships__user=request.user).select_related("team"),
        uuid=uuid,
    )


def get_invitation_for_me(request: AuthenticatedHttpRequest, uuid) -> Invitation:
    """A pending invitation by the user's username: 404 for anyone else (even the team's), and
    for one by email, which is answered with its link only."""
    return get_object_or_404(
        Invitation.objects.pending().addressed_to(request.user).select_related("team"),
        uuid=uuid,
    )


def role_table() -> dict:
    """ROLE_ACTIONS as the page shows it, least allowed first like the README."""
    return {
        "actions": Action.labels,
        "rows": [
            (role.label, [action in ROLE_ACTIONS[role] for action in Action])
            for role in reversed(Role)
        ],
    }


# -- Teams


def team_list_page(request: AuthenticatedHttpRequest, form: TeamForm) -> TemplateResponse:
    current = services.current_membership(request)
    context = {
        "memberships": services.user_memberships(request),
        "invitations": services.invitations_for(user=request.user),
        "current": current.team if current else None,
        "form": form,
    }
    return TemplateResponse(request, "teams/team_list.html", context)


@login_required
@require_GET
def team_list(request: AuthenticatedHttpRequest) -> TemplateResponse:
    return team_list_page(request, TeamForm())


@login_required
@require_POST
def team_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = TeamForm(request.POST)
    if not form.is_valid():
        return team_list_page(request, form)
    team = services.team_create(user=request.user, name=form.cleaned_data["name"])
    services.team_remember(request=request, team=team)
    messages.success(request, f"{team} is created and is now your current team. Invite people.")
    return redirect("team_detail", uuid=team.uuid)


@login_required
@require_POST
def team_switch(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    team = get_own_membership(request, uuid).team
    services.team_remember(request=request, team=team)
    return redirect("dashboard")


def team_page(
    request: HttpRequest,
    membership: Membership,
    invite_form: InviteForm,
    rule_error: str = "",
):
    team = membership.team
    can_manage = membership.allows(Action.MANAGE)
    invitations = list(team.invitations.pending())
    if can_manage:  # the link is the secret: only those who may invite see it
        for invitation in invitations:
            invitation.link = request.build_absolute_uri(invitation.get_absolute_url())
    current = services.current_membership(request)
    context = {
        "team": team,
        "membership": membership,
        "is_current": current is not None and current.team == team,
        "members": team.memberships.select_related("user").order_by(ROLE_ORDER, "user__username"),
        "invitations": invitations,
        "can_manage": can_manage,
        "roles": Role.choices,
        "invite_form": invite_form,
        "review_rules": ReviewRule.choices,
        "rule_error": rule_error,
        "role_table": role_table(),
    }
    return TemplateResponse(request, "teams/team_detail.html", context)


@login_required
@require_GET
def team_detail(request: AuthenticatedHttpRequest, uuid) -> TemplateResponse:
    return team_page(request, get_own_membership(request, uuid), InviteForm())


@login_required
@require_POST
def team_invite(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    membership = get_own_membership(request, uuid)
    team = membership.team
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.team_invite(user=request.user, team=team, **form.cleaned_data)
        except ValidationError as error:
            form.add_error("who", error)
        else:
            link = request.build_absolute_uri(invitation.get_absolute_url())
            # Mailed by a worker after the commit: whether a username has an account with an
            # address (and so gets a mail) shows neither in the words nor in the time taken.
            transaction.on_commit(lambda: tasks.send_invitation.delay(invitation.pk, link))
            messages.success(request, invited_message(invitation, link))
            return redirect("team_detail", uuid=team.uuid)
    return team_page(request, membership, form)


def invited_message(invitation: Invitation, link: str) -> str:
    if services.mail_is_delivered():
        return (
            f"Invitation sent to {invitation.recipient}. "
            "You can also copy its link from Pending invitations."
        )
    # No mail leaves this studio (console or dummy backend): say where the invitation waits.
    if invitation.username:
        where = (
            f"It is waiting in the studio for {invitation.username}: they see it when they log in."
        )
    else:
        where = f"It is waiting in the studio: send {invitation.email} its link yourself."
    return f"No email is sent from this studio. {where} Invitation link to copy: {link}"


@login_required
@require_POST
def team_review_rule(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    membership = get_own_membership(request, uuid)
    team = membership.team
    try:
        # The service checks the role first (a member who does not own the team gets 403).
        services.team_set_review_rule(
            user=request.user, team=team, rule=request.POST.get("review_rule", "")
        )
    except ValidationError as error:
        return team_page(request, membership, InviteForm(), rule_error=error.messages[0])
    messages.success(request, f"Review rule: {team.get_review_rule_display().lower()}.")
    return redirect("team_detail", uuid=team.uuid)


# -- Members and invitations (owners): htmx answers with the row that changed


def member_row(request: HttpRequest, member: Membership, **extra) -> TemplateResponse:
    context = {"member": member, "team": member.team, "can_manage": True, "roles": Role.choices}
    response = TemplateResponse(request, "teams/team_detail.html#member-row", context | extra)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_POST
def member_role(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    member = get_member(request, uuid)
    error = notice = ""
    try:
        # The service checks the role first, so it sees the role as sent (a viewer gets 403).
        services.membership_set_role(
            user=request.user, membership=member, role=request.POST.get("role", "")
        )
    except ValidationError as exc:
        error = exc.messages[0]
    else:
        notice = f"{member.user.get_username()} is now {member.get_role_display().lower()}."
    if member.user == request.user and not member.allows(Action.MANAGE):
        # The owner gave up owning: the page's controls are no longer theirs.
        messages.info(request, notice)
        if request.htmx:
            return HttpResponseClientRefresh()
        return redirect("team_detail", uuid=member.team.uuid)
    if request.htmx:
        return member_row(request, member, error=error, notice=notice)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect("team_detail", uuid=member.team.uuid)


@login_required
@require_POST
def member_remove(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    member = get_member(request, uuid)
    team = member.team
    name = member.user.get_username()
    try:
        services.membership_remove(user=request.user, membership=member)
    except ValidationError as exc:
        if request.htmx:
            return member_row(request, member, error=exc.messages[0])
        messages.error(request, exc.messages[0])
        return redirect("team_detail", uuid=team.uuid)
    if member.user == request.user:
        messages.info(request, f"You have left {team}.")
        if request.htmx:
            return HttpResponseClientRedirect(reverse("team_list"))
        return redirect("team_list")
    if request.htmx:
        return HttpResponse("")  # the row goes away
    messages.success(request, f"{name} is no longer in {team}.")
    return redirect("team_detail", uuid=team.uuid)


@login_required
@require_POST
def invitation_revoke(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    invitation = get_invitation(request, uuid)
    team = invitation.team
    try:
        services.invitation_revoke(user=request.user, invitation=invitation)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        if request.htmx:
            return HttpResponseClientRefresh()
    else:
        if request.htmx:
            return HttpResponse("")  # the invitation's line goes away
        messages.success(request, f"The invitation to {invitation.recipient} is revoked.")
    return redirect("team_detail", uuid=team.uuid)


# -- Answering an invitation: in the studio (the Teams page), or by its link


@login_required
@require_POST
def invitation_join(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    invitation = get_invitation_for_me(request, uuid)
    try:
        services.invitation_accept(invitation=invitation, user=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("team_list")
    return joined(request, invitation)


@login_required
@require_POST
def invitation_decline(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    invitation = get_invitation_for_me(request, uuid)
    try:
        services.invitation_decline(invitation=invitation, user=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.info(request, f"You declined the invitation to {invitation.team}.")
    return redirect("team_list")


# The link in the email needs no login to open: someone invited by email signs up with it.


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = Invitation.objects.select_related("team", "invited_by").filter(token=token).first()
    if invitation is None:
        return TemplateResponse(
            request, "teams/invitation_accept.html", {"problem": "unknown"}, status=404
        )
    user = request.user
    if invitation.status != "pending":
        if invitation.accepted_by_id is not None and invitation.accepted_by_id == user.pk:
            return redirect("team_detail", uuid=invitation.team.uuid)
        gone = {"problem": invitation.status, "invitation": invitation}
        return TemplateResponse(request, "teams/invitation_accept.html", gone, status=410)
    context: dict = {"invitation": invitation}
    if user.is_authenticated:
        member = Membership.objects.filter(team=invitation.team, user=user).first()
        context["already"] = member
        context["for_me"] = invitation.answerable_by(user, token=token)
        if request.method == "POST" and member is None:
            decline = request.POST.get("answer") == "decline"
            answer = services.invitation_decline if decline else services.invitation_accept
            try:
                answer(invitation=invitation, user=user, token=token)
            except ValidationError as exc:
                context["error"] = exc.messages[0]
            else:
                if decline:
                    messages.info(request, f"You declined the invitation to {invitation.team}.")
                    return redirect("team_list")
                return joined(request, invitation)
        return TemplateResponse(request, "teams/invitation_accept.html", context)
    # By email, the page is the same whether or not an account uses the address: log in, or
    # sign up (an address in use is refused only when the form is sent). By username, the
    # invitation is for that account: it logs in.
    form = InvitationSignupForm(request.POST or None, invitation=invitation)
    context["form"] = form
    if request.method == "POST" and invitation.email and form.is_valid():
        try:
            new_user = services.invitation_signup(
                invitation=invitation,
                token=token,
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            # Just created, with the password just typed: no backend to ask (axes' only guards).
            login(request, new_user, backend="django.contrib.auth.backends.ModelBackend")
            return joined(request, invitation)
    return TemplateResponse(request, "teams/invitation_accept.html", context)


def joined(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    services.team_remember(request=request, team=invitation.team)
    messages.success(
        request,
        f"Welcome to {invitation.team}: you joined as {invitation.get_role_display().lower()}.",
    )
    return redirect("team_detail", uuid=invitation.team.uuid)
