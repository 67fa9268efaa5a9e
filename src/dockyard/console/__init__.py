"""The web console: people who do not know Kubernetes see the platform's services and add or change
one with a form; every change is a commit in the platform repo, never a write to a cluster.

    catalog     what the catalog shows of each service (pure, from the model and the render)
    snapshot    the repo loaded and rendered once per change of its files
    form        the add/edit form: fields, the files they become, which field a problem is about
    drafts      a draft judged by the pipeline, in a private copy (never the repo)
    gitrepo     a service's history, and the console's commits (author: the person signed in)
    state       what pages and the JSON API both do
    auth        people, roles from token groups, the signed session
    web         sessions, access rules, CSRF, security headers, errors, page rendering
    app         the routes: pages, and the JSON API under /api
"""
