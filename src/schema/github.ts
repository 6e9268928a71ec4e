// `github { … }`: GitHub's REST API v3 through the caller's stored connection, as typed GraphQL.
// Lists paginate as GitHub does (page numbers, at most 100 per page); a lookup of something that
// does not exist (or is not visible to the connection) answers null.
import { z } from 'zod';
import { builder } from '../builder.js';
import type { GraphQLContext } from '../context.js';
import { apiPath, withQuery } from '../passthrough/api-path.js';
import type { UpstreamSession } from '../passthrough/passthrough.js';
import { toDate, upstream, validate, type UpstreamOwner } from './upstream.js';

// ---------------------------------------------------------------------------------------------
// The REST shapes read here (the fields used; GitHub sends more).

interface ActorJson {
  login: string;
  id: number;
  node_id: string;
  avatar_url: string;
  html_url: string;
  type?: string;
}

interface UserJson extends ActorJson {
  name?: string | null;
  company?: string | null;
  blog?: string | null;
  location?: string | null;
  email?: string | null;
  bio?: string | null;
  twitter_username?: string | null;
  public_repos?: number;
  followers?: number;
  following?: number;
  created_at?: string;
}

interface RepositoryJson {
  id: number;
  node_id: string;
  name: string;
  full_name: string;
  owner: ActorJson;
  private: boolean;
  html_url: string;
  description: string | null;
  fork: boolean;
  homepage?: string | null;
  stargazers_count: number;
  forks_count: number;
  open_issues_count: number;
  subscribers_count?: number;
  language?: string | null;
  archived?: boolean;
  default_branch: string;
  topics?: string[];
  permissions?: { admin?: boolean; maintain?: boolean; push?: boolean; triage?: boolean; pull?: boolean };
  created_at?: string;
  updated_at?: string;
  pushed_at?: string | null;
}

interface LabelJson {
  name: string;
  color?: string;
  description?: string | null;
}

/** What GitHub's issues, pull requests and comments have in common. */
interface PostJson {
  id: number;
  node_id: string;
  body?: string | null;
  html_url: string;
  user: ActorJson | null;
  created_at: string;
  updated_at: string;
}

interface IssueJson extends PostJson {
  number: number;
  title: string;
  state: string;
  state_reason?: string | null;
  labels?: Array<LabelJson | string>;
  comments?: number;
  locked?: boolean;
  pull_request?: unknown;
  closed_at: string | null;
}

interface PullRequestJson extends PostJson {
  number: number;
  title: string;
  state: string;
  draft?: boolean;
  head?: { ref?: string };
  base?: { ref?: string };
  closed_at: string | null;
  merged_at: string | null;
}

type CommentJson = PostJson;

interface PageInfo {
  page: number;
  perPage: number;
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  lastPage: number | null;
}

interface Page<T> {
  nodes: T[];
  pageInfo: PageInfo;
}

// ---------------------------------------------------------------------------------------------
// Arguments

const WRITE_SCOPES = [['public_repo', 'repo']] as const;
const login = z.string().regex(/^[A-Za-z0-9-]{1,39}$/, 'must be a GitHub login: 1 to 39 letters, digits or hyphens');
const repositoryName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be a repository name: 1 to 100 letters, digits, ".", "_" or "-"')
  .refine((name) => name !== '.' && name !== '..', 'must be a repository name');
const issueNumber = z.number().int().min(1, 'must be at least 1').max(2_147_483_647);
const pageArgs = z.object({
  first: z.number().int().min(1, 'must be 1 to 100').max(100, 'must be 1 to 100 (GitHub sends at most 100 per page)'),
  page: z.number().int().min(1, 'must be at least 1').max(10_000, 'must be at most 10000'),
});

const repositoryRef = z.object({ owner: login, name: repositoryName });

function parseLink(header: string | undefined): Map<string, number> {
  const pages = new Map<string, number>();
  for (const part of (header ?? '').split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="([^"]+)"/.exec(part.trim());
    if (!match) continue;
    try {
      const page = Number(new URL(match[1]!).searchParams.get('page'));
      if (Number.isInteger(page) && page > 0) for (const rel of match[2]!.split(/\s+/)) pages.set(rel, page);
    } catch {
      // GitHub's links are absolute URLs; anything else is ignored.
    }
  }
  return pages;
}

/** Page info from the Link header; the links themselves are never followed (the token stays on fixed paths). */
function pageInfo(link: string | undefined, page: number, perPage: number): PageInfo {
  const rels = parseLink(link);
  const hasNextPage = rels.has('next');
  return {
    page,
    perPage,
    hasNextPage,
    hasPreviousPage: page > 1,
    lastPage: rels.get('last') ?? (hasNextPage ? null : page),
  };
}

const github = (context: GraphQLContext, owner: UpstreamOwner = {}): UpstreamSession => upstream(context, 'GITHUB', owner);

// ---------------------------------------------------------------------------------------------
// Types

const avatarUrl = (url: string, size: number | null | undefined): string => {
  if (size === null || size === undefined) return url;
  const sized = new URL(url);
  sized.searchParams.set('s', String(size));
  return sized.toString();
};

const avatarSize = z.number().int().min(1, 'must be 1 to 460').max(460, 'must be 1 to 460');

const GitHubActorRef = builder.objectRef<ActorJson>('GitHubActor').implement({
  description: 'A GitHub account as it appears on issues, comments and repositories.',
  fields: (t) => ({
    id: t.exposeID('node_id'),
    databaseId: t.exposeInt('id'),
    login: t.exposeString('login'),
    avatarUrl: t.string({
      args: { size: t.arg.int({ required: false, description: 'Square size in pixels (1 to 460).' }) },
      resolve: (actor, { size }) => avatarUrl(actor.avatar_url, size === null || size === undefined ? size : validate(avatarSize, size)),
    }),
    url: t.string({ resolve: (actor) => actor.html_url }),
  }),
});

const GitHubUserRef = builder.objectRef<UserJson>('GitHubUser').implement({
  description: 'A GitHub user profile.',
  fields: (t) => ({
    id: t.exposeID('node_id'),
    databaseId: t.exposeInt('id'),
    login: t.exposeString('login'),
    name: t.string({ nullable: true, resolve: (user) => user.name ?? null }),
    avatarUrl: t.string({
      args: { size: t.arg.int({ required: false, description: 'Square size in pixels (1 to 460).' }) },
      resolve: (user, { size }) => avatarUrl(user.avatar_url, size === null || size === undefined ? size : validate(avatarSize, size)),
    }),
    bio: t.string({ nullable: true, resolve: (user) => user.bio ?? null }),
    company: t.string({ nullable: true, resolve: (user) => user.company ?? null }),
    location: t.string({ nullable: true, resolve: (user) => user.location ?? null }),
    email: t.string({ nullable: true, description: 'The public email, or the private one with the user:email scope.', resolve: (user) => user.email ?? null }),
    websiteUrl: t.string({ nullable: true, resolve: (user) => user.blog || null }),
    twitterUsername: t.string({ nullable: true, resolve: (user) => user.twitter_username ?? null }),
    url: t.string({ resolve: (user) => user.html_url }),
    isOrganization: t.boolean({ resolve: (user) => user.type === 'Organization' }),
    followerCount: t.int({ nullable: true, resolve: (user) => user.followers ?? null }),
    followingCount: t.int({ nullable: true, resolve: (user) => user.following ?? null }),
    publicRepositoryCount: t.int({ nullable: true, resolve: (user) => user.public_repos ?? null }),
    createdAt: t.field({ type: 'DateTime', nullable: true, resolve: (user) => toDate(user.created_at) }),
  }),
});

const GitHubPageInfoRef = builder.objectRef<PageInfo>('GitHubPageInfo').implement({
  description: "Where a page sits in GitHub's page-numbered list (from its Link header).",
  fields: (t) => ({
    page: t.exposeInt('page'),
    perPage: t.exposeInt('perPage'),
    hasNextPage: t.exposeBoolean('hasNextPage'),
    hasPreviousPage: t.exposeBoolean('hasPreviousPage'),
    lastPage: t.exposeInt('lastPage', { nullable: true, description: 'The last page number, when GitHub reports it.' }),
  }),
});

const GitHubLabelRef = builder.objectRef<LabelJson>('GitHubLabel').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    color: t.string({ nullable: true, resolve: (label) => label.color ?? null }),
    description: t.string({ nullable: true, resolve: (label) => label.description ?? null }),
  }),
});

const GitHubIssueStateEnum = builder.enumType('GitHubIssueState', { values: ['OPEN', 'CLOSED'] as const });
const GitHubPullRequestStateEnum = builder.enumType('GitHubPullRequestState', { values: ['OPEN', 'CLOSED', 'MERGED'] as const });
const GitHubStateFilterEnum = builder.enumType('GitHubStateFilter', {
  description: 'Which issues or pull requests a list returns.',
  values: ['OPEN', 'CLOSED', 'ALL'] as const,
});

/** Page-number pagination as GitHub's REST lists offer it, for issues and pull requests alike. */
const listPageArgs = builder.args((t) => ({
  first: t.int({ required: true, defaultValue: 30, description: 'Page size, 1 to 100.' }),
  page: t.int({ required: true, defaultValue: 1, description: 'Page number, from 1.' }),
  state: t.field({ type: GitHubStateFilterEnum, required: true, defaultValue: 'OPEN' }),
}));
const GitHubRepositoryPermissionEnum = builder.enumType('GitHubRepositoryPermission', {
  values: ['ADMIN', 'MAINTAIN', 'WRITE', 'TRIAGE', 'READ'] as const,
});

const GitHubIssueRef = builder.objectRef<IssueJson>('GitHubIssue').implement({
  description: "An issue. GitHub's REST issue lists include pull requests: isPullRequest tells them apart.",
  fields: (t) => ({
    id: t.exposeID('node_id'),
    databaseId: t.exposeInt('id'),
    number: t.exposeInt('number'),
    title: t.exposeString('title'),
    body: t.string({ nullable: true, resolve: (issue) => issue.body ?? null }),
    state: t.field({ type: GitHubIssueStateEnum, resolve: (issue) => (issue.state === 'closed' ? 'CLOSED' : 'OPEN') }),
    stateReason: t.string({ nullable: true, resolve: (issue) => issue.state_reason ?? null }),
    url: t.string({ resolve: (issue) => issue.html_url }),
    author: t.field({ type: GitHubActorRef, nullable: true, resolve: (issue) => issue.user }),
    labels: t.field({
      type: [GitHubLabelRef],
      resolve: (issue) => (issue.labels ?? []).map((label) => (typeof label === 'string' ? { name: label } : label)),
    }),
    commentCount: t.int({ resolve: (issue) => issue.comments ?? 0 }),
    isLocked: t.boolean({ resolve: (issue) => issue.locked ?? false }),
    isPullRequest: t.boolean({ resolve: (issue) => issue.pull_request !== undefined }),
    createdAt: t.field({ type: 'DateTime', resolve: (issue) => new Date(issue.created_at) }),
    updatedAt: t.field({ type: 'DateTime', resolve: (issue) => new Date(issue.updated_at) }),
    closedAt: t.field({ type: 'DateTime', nullable: true, resolve: (issue) => toDate(issue.closed_at) }),
  }),
});

const GitHubPullRequestRef = builder.objectRef<PullRequestJson>('GitHubPullRequest').implement({
  fields: (t) => ({
    id: t.exposeID('node_id'),
    databaseId: t.exposeInt('id'),
    number: t.exposeInt('number'),
    title: t.exposeString('title'),
    body: t.string({ nullable: true, resolve: (pull) => pull.body ?? null }),
    state: t.field({
      type: GitHubPullRequestStateEnum,
      resolve: (pull) => (pull.merged_at ? 'MERGED' : pull.state === 'closed' ? 'CLOSED' : 'OPEN'),
    }),
    isDraft: t.boolean({ resolve: (pull) => pull.draft ?? false }),
    url: t.string({ resolve: (pull) => pull.html_url }),
    author: t.field({ type: GitHubActorRef, nullable: true, resolve: (pull) => pull.user }),
    headRefName: t.string({ nullable: true, resolve: (pull) => pull.head?.ref ?? null }),
    baseRefName: t.string({ nullable: true, resolve: (pull) => pull.base?.ref ?? null }),
    createdAt: t.field({ type: 'DateTime', resolve: (pull) => new Date(pull.created_at) }),
    updatedAt: t.field({ type: 'DateTime', resolve: (pull) => new Date(pull.updated_at) }),
    closedAt: t.field({ type: 'DateTime', nullable: true, resolve: (pull) => toDate(pull.closed_at) }),
    mergedAt: t.field({ type: 'DateTime', nullable: true, resolve: (pull) => toDate(pull.merged_at) }),
  }),
});

const GitHubCommentRef = builder.objectRef<CommentJson>('GitHubComment').implement({
  fields: (t) => ({
    id: t.exposeID('node_id'),
    databaseId: t.exposeInt('id'),
    body: t.string({ nullable: true, resolve: (comment) => comment.body ?? null }),
    url: t.string({ resolve: (comment) => comment.html_url }),
    author: t.field({ type: GitHubActorRef, nullable: true, resolve: (comment) => comment.user }),
    createdAt: t.field({ type: 'DateTime', resolve: (comment) => new Date(comment.created_at) }),
    updatedAt: t.field({ type: 'DateTime', resolve: (comment) => new Date(comment.updated_at) }),
  }),
});

const GitHubIssuePageRef = builder.objectRef<Page<IssueJson>>('GitHubIssuePage').implement({
  fields: (t) => ({
    nodes: t.field({ type: [GitHubIssueRef], resolve: (page) => page.nodes }),
    pageInfo: t.field({ type: GitHubPageInfoRef, resolve: (page) => page.pageInfo }),
  }),
});

const GitHubPullRequestPageRef = builder.objectRef<Page<PullRequestJson>>('GitHubPullRequestPage').implement({
  fields: (t) => ({
    nodes: t.field({ type: [GitHubPullRequestRef], resolve: (page) => page.nodes }),
    pageInfo: t.field({ type: GitHubPageInfoRef, resolve: (page) => page.pageInfo }),
  }),
});

function viewerPermission(repository: RepositoryJson) {
  const permissions = repository.permissions;
  if (!permissions) return null;
  if (permissions.admin) return 'ADMIN' as const;
  if (permissions.maintain) return 'MAINTAIN' as const;
  if (permissions.push) return 'WRITE' as const;
  if (permissions.triage) return 'TRIAGE' as const;
  if (permissions.pull) return 'READ' as const;
  return null;
}

async function listPage<T>(
  context: GraphQLContext,
  repository: RepositoryJson,
  list: 'issues' | 'pulls',
  args: { first: number; page: number; state: 'OPEN' | 'CLOSED' | 'ALL' },
): Promise<Page<T>> {
  const { first, page } = validate(pageArgs, { first: args.first, page: args.page });
  const path = withQuery(apiPath`/repos/${repository.owner.login}/${repository.name}/${list}`, {
    state: args.state.toLowerCase(),
    per_page: first,
    page,
  });
  const result = await github(context).get<T[]>(path);
  return { nodes: Array.isArray(result.data) ? result.data : [], pageInfo: pageInfo(result.link, page, first) };
}

const GitHubRepositoryRef = builder.objectRef<RepositoryJson>('GitHubRepository').implement({
  description: 'A repository.',
  fields: (t) => ({
    id: t.exposeID('node_id'),
    databaseId: t.exposeInt('id'),
    name: t.exposeString('name'),
    nameWithOwner: t.string({ resolve: (repository) => repository.full_name }),
    owner: t.field({ type: GitHubActorRef, resolve: (repository) => repository.owner }),
    description: t.string({ nullable: true, resolve: (repository) => repository.description }),
    url: t.string({ resolve: (repository) => repository.html_url }),
    homepageUrl: t.string({ nullable: true, resolve: (repository) => repository.homepage || null }),
    stargazerCount: t.int({ resolve: (repository) => repository.stargazers_count }),
    forkCount: t.int({ resolve: (repository) => repository.forks_count }),
    watcherCount: t.int({ nullable: true, resolve: (repository) => repository.subscribers_count ?? null }),
    openIssueCount: t.int({ description: 'Open issues and pull requests, as GitHub counts them.', resolve: (repository) => repository.open_issues_count }),
    isPrivate: t.boolean({ resolve: (repository) => repository.private }),
    isFork: t.boolean({ resolve: (repository) => repository.fork }),
    isArchived: t.boolean({ resolve: (repository) => repository.archived ?? false }),
    defaultBranch: t.string({ resolve: (repository) => repository.default_branch }),
    primaryLanguage: t.string({ nullable: true, resolve: (repository) => repository.language ?? null }),
    topics: t.stringList({ resolve: (repository) => repository.topics ?? [] }),
    viewerPermission: t.field({
      type: GitHubRepositoryPermissionEnum,
      nullable: true,
      description: "The connected user's permission on the repository.",
      resolve: viewerPermission,
    }),
    createdAt: t.field({ type: 'DateTime', nullable: true, resolve: (repository) => toDate(repository.created_at) }),
    updatedAt: t.field({ type: 'DateTime', nullable: true, resolve: (repository) => toDate(repository.updated_at) }),
    pushedAt: t.field({ type: 'DateTime', nullable: true, resolve: (repository) => toDate(repository.pushed_at) }),
    issues: t.field({
      type: GitHubIssuePageRef,
      nullable: true,
      description: 'One page of issues, newest first (GitHub includes pull requests here).',
      args: listPageArgs,
      resolve: (repository, args, context) => listPage<IssueJson>(context, repository, 'issues', args),
    }),
    issue: t.field({
      type: GitHubIssueRef,
      nullable: true,
      args: { number: t.arg.int({ required: true }) },
      resolve: async (repository, args, context) => {
        const number = validate(issueNumber, args.number);
        const found = await github(context).find<IssueJson>(apiPath`/repos/${repository.owner.login}/${repository.name}/issues/${number}`);
        return found?.data ?? null;
      },
    }),
    pullRequests: t.field({
      type: GitHubPullRequestPageRef,
      nullable: true,
      description: 'One page of pull requests, newest first.',
      args: listPageArgs,
      resolve: (repository, args, context) => listPage<PullRequestJson>(context, repository, 'pulls', args),
    }),
  }),
});

// ---------------------------------------------------------------------------------------------
// Query: github { viewer user(login) repository(owner, name) }

const GitHubQueryRef = builder.objectRef<UpstreamSession>('GitHubQuery').implement({
  description: "GitHub's API with the site's stored GitHub connection.",
  fields: (t) => ({
    viewer: t.field({
      type: GitHubUserRef,
      nullable: true,
      description: 'The connected GitHub user.',
      resolve: async (session) => (await session.get<UserJson>('/user')).data,
    }),
    user: t.field({
      type: GitHubUserRef,
      nullable: true,
      description: 'A user or organization by login; null when there is none.',
      args: { login: t.arg.string({ required: true }) },
      resolve: async (session, args) => {
        const name = validate(z.object({ login }), args).login;
        return (await session.find<UserJson>(apiPath`/users/${name}`))?.data ?? null;
      },
    }),
    repository: t.field({
      type: GitHubRepositoryRef,
      nullable: true,
      description: 'A repository; null when it does not exist or the connection cannot see it.',
      args: { owner: t.arg.string({ required: true }), name: t.arg.string({ required: true }) },
      resolve: async (session, args) => {
        const ref = validate(repositoryRef, args);
        return (await session.find<RepositoryJson>(apiPath`/repos/${ref.owner}/${ref.name}`))?.data ?? null;
      },
    }),
  }),
});

builder.queryField('github', (t) =>
  t.field({
    type: GitHubQueryRef,
    authScopes: { site: true },
    description: "GitHub through the site's stored connection (the token never leaves the gateway).",
    args: {
      endUser: t.arg.string({ required: false, description: "One of the site's end users, whose connection is used; omitted: the token's own owner." }),
      account: t.arg.string({ required: false, description: 'One of the owner\'s accounts (the provider user id, or "default"); omitted: the most recently connected one.' }),
    },
    resolve: (_root, args, context) => github(context, args),
  }),
);

// ---------------------------------------------------------------------------------------------
// Mutation: github { createIssue addComment addStar removeStar }

const GitHubCreateIssueInput = builder.inputType('GitHubCreateIssueInput', {
  fields: (t) => ({
    owner: t.string({ required: true }),
    name: t.string({ required: true }),
    title: t.string({ required: true }),
    body: t.string({ required: false }),
    labels: t.stringList({ required: false }),
  }),
});

const GitHubAddCommentInput = builder.inputType('GitHubAddCommentInput', {
  fields: (t) => ({
    owner: t.string({ required: true }),
    name: t.string({ required: true }),
    number: t.int({ required: true, description: 'The issue or pull request number.' }),
    body: t.string({ required: true }),
  }),
});

const GitHubStarInput = builder.inputType('GitHubStarInput', {
  fields: (t) => ({
    owner: t.string({ required: true }),
    name: t.string({ required: true }),
  }),
});

const GitHubStarPayloadRef = builder.objectRef<{ owner: string; name: string; starred: boolean }>('GitHubStarPayload').implement({
  fields: (t) => ({
    owner: t.exposeString('owner'),
    name: t.exposeString('name'),
    starred: t.exposeBoolean('starred', { description: 'Whether the connected user now stars the repository.' }),
  }),
});

const createIssueArgs = repositoryRef.extend({
  title: z.string().trim().min(1, 'must not be empty').max(256, 'must be at most 256 characters'),
  body: z.string().max(65_536, 'must be at most 65536 characters').nullish(),
  labels: z.array(z.string().min(1).max(50, 'each label must be at most 50 characters')).max(100, 'at most 100 labels').nullish(),
});
const addCommentArgs = repositoryRef.extend({
  number: issueNumber,
  body: z.string().trim().min(1, 'must not be empty').max(65_536, 'must be at most 65536 characters'),
});

const GitHubMutationRef = builder.objectRef<UpstreamSession>('GitHubMutation').implement({
  description: "Writes to GitHub with the site's stored connection (they need the public_repo or repo scope). Fields of one operation run in parallel: send dependent writes in separate operations.",
  fields: (t) => {
    /** PUT or DELETE /user/starred/{owner}/{repo}: the same call but for its method. */
    const star = (starred: boolean) =>
      t.field({
        type: GitHubStarPayloadRef,
        nullable: true,
        args: { input: t.arg({ type: GitHubStarInput, required: true }) },
        resolve: async (session, { input }) => {
          const ref = validate(repositoryRef, input);
          await session.send(starred ? 'PUT' : 'DELETE', apiPath`/user/starred/${ref.owner}/${ref.name}`, { scopes: WRITE_SCOPES });
          return { ...ref, starred };
        },
      });
    return {
      createIssue: t.field({
        type: GitHubIssueRef,
        nullable: true,
        args: { input: t.arg({ type: GitHubCreateIssueInput, required: true }) },
        resolve: async (session, { input }) => {
          const issue = validate(createIssueArgs, input);
          const body: Record<string, unknown> = { title: issue.title };
          if (issue.body) body.body = issue.body;
          if (issue.labels?.length) body.labels = issue.labels;
          const created = await session.send<IssueJson>('POST', apiPath`/repos/${issue.owner}/${issue.name}/issues`, { body, scopes: WRITE_SCOPES });
          return created.data;
        },
      }),
      addComment: t.field({
        type: GitHubCommentRef,
        nullable: true,
        description: 'Comments on an issue or pull request.',
        args: { input: t.arg({ type: GitHubAddCommentInput, required: true }) },
        resolve: async (session, { input }) => {
          const comment = validate(addCommentArgs, input);
          const created = await session.send<CommentJson>('POST', apiPath`/repos/${comment.owner}/${comment.name}/issues/${comment.number}/comments`, {
            body: { body: comment.body },
            scopes: WRITE_SCOPES,
          });
          return created.data;
        },
      }),
      addStar: star(true),
      removeStar: star(false),
    };
  },
});

builder.mutationField('github', (t) =>
  t.field({
    type: GitHubMutationRef,
    authScopes: { site: true },
    description: "Writes to GitHub through the site's stored connection.",
    args: {
      endUser: t.arg.string({ required: false, description: "One of the site's end users, whose connection is used; omitted: the token's own owner." }),
      account: t.arg.string({ required: false, description: 'One of the owner\'s accounts (the provider user id, or "default"); omitted: the most recently connected one.' }),
    },
    resolve: (_root, args, context) => github(context, args),
  }),
);
