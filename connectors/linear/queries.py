"""The GraphQL the connector sends: explicit fields only, page sizes that keep each
query within Linear's complexity limit of 10,000 points.

Linear counts 0.1 point per scalar field and 1 per object, and multiplies what a
connection's nodes cost by its page size, whatever the page holds. An issue below
costs about 35 points (its 20 labels most of them), so a page of 200 costs
~6,900; a project ~45 points, so 100 projects ~4,500; 100 initiatives ~340. A
first or full read uses large pages (few requests); an incremental one, which
usually finds little, small pages (few points). tests/connectors/linear checks the costs against the
simulator, which computes complexity the same way.
"""

from __future__ import annotations

# Points one node of each query costs, by Linear's rule (see above).
NODE_COST = {"issues": 34.6, "projects": 45.3, "initiatives": 3.3}

ISSUES_PAGE_SIZE = 200
CHANGES_PAGE_SIZE = 50  # issues, when reading what changed since the cursor
PROJECTS_PAGE_SIZE = 100
INITIATIVES_PAGE_SIZE = 100
INITIATIVES_PER_PROJECT = 10
LABELS_PER_ISSUE = 20
TEAMS_PER_PROJECT = 25

ISSUE_FIELDS = f"""
  id identifier number title description url priority estimate dueDate
  createdAt updatedAt completedAt canceledAt archivedAt trashed
  state {{ name type }}
  team {{ key }}
  assignee {{ id name }}
  labels(first: {LABELS_PER_ISSUE}) {{ nodes {{ id name }} }}
  parent {{ id }}
  cycle {{ id number name }}
  project {{ id name }}
"""

ISSUES = f"""
query Issues($filter: IssueFilter!, $first: Int!, $after: String, $archived: Boolean!) {{
  issues(filter: $filter, first: $first, after: $after, orderBy: updatedAt,
         includeArchived: $archived) {{
    nodes {{ {ISSUE_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

PROJECT_FIELDS = f"""
  id name description url state startDate targetDate
  createdAt updatedAt completedAt canceledAt archivedAt trashed
  status {{ name type }}
  lead {{ id name }}
  teams(first: {TEAMS_PER_PROJECT}) {{ nodes {{ key }} }}
  initiatives(first: {INITIATIVES_PER_PROJECT}) {{ nodes {{ id }} }}
"""

PROJECTS = f"""
query Projects($filter: ProjectFilter!, $first: Int!, $after: String, $archived: Boolean!) {{
  projects(filter: $filter, first: $first, after: $after, orderBy: updatedAt,
           includeArchived: $archived) {{
    nodes {{ {PROJECT_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""


INITIATIVE_FIELDS = """
  id name description url status targetDate
  createdAt updatedAt completedAt archivedAt trashed
  owner { id name }
"""

INITIATIVES = f"""
query Initiatives($filter: InitiativeFilter!, $first: Int!, $after: String, $archived: Boolean!) {{
  initiatives(filter: $filter, first: $first, after: $after, orderBy: updatedAt,
              includeArchived: $archived) {{
    nodes {{ {INITIATIVE_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""


def expected_cost(root: str, page_size: int) -> float:
    """What Linear will charge for one page of `root` (issues, projects) of this size."""
    return 1.0 + page_size * NODE_COST[root] + 1.2  # the connection, its nodes, pageInfo
