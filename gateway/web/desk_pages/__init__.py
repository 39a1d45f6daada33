"""The order desk in the browser: the ``desk`` blueprint, mounted at ``/``.

Screens: login, the exception queue, an order beside its original document with the fixes,
inbound documents, the dashboard, the open alerts, partners. Server-rendered with Jinja (``gateway/web/templates``);
the only script scrolls the document view to a field's source. ``init_desk`` binds the
services, the sessions, CSRF and the security headers; see ``security`` and ``settings``.
The views parse the request, call a read model of ``gateway.desk`` (every query a screen runs is
there) or one of its actions, and render; no SQL is written here (``tests/test_web_desk_no_sql.py``).
"""

from __future__ import annotations

from . import auth as auth
from . import views_alerts as views_alerts
from . import views_dashboard as views_dashboard
from . import views_documents as views_documents
from . import views_order as views_order
from . import views_partners as views_partners
from . import views_queue as views_queue
from ._setup import init_desk as init_desk
from .context import desk as desk
