"""Planted secrets, one per form a credential takes in a repository, and ordinary lines that
look a little like them but are not secrets.

Every value here is fake: random-looking text in the shape of the real thing. Each ``Plant`` is
committed into a real repository by the tests (``before`` first, when given, then ``after``),
so the redactor sees exactly the patch git prints, hunk headers and context lines included.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass


def _rand(seed: str, n: int, alphabet: str) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(n))


_B62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_B64 = _B62 + "+/"


def _pem(kind: str, seed: str, lines: int = 25) -> tuple[str, list[str]]:
    """A PEM block of ``kind`` and its body lines (64 base64 characters each, like openssl's)."""
    body = [_rand(f"{seed}{i}", 64, _B64) for i in range(lines)]
    body[0] = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" + body[0][32:]
    body.append(_rand(seed + "tail", 28, _B64) + "==")
    text = f"-----BEGIN {kind}-----\n" + "\n".join(body) + f"\n-----END {kind}-----\n"
    return text, body


@dataclass(frozen=True)
class Plant:
    form: str
    path: str
    after: str
    secrets: tuple[str, ...]  # none of these may reach a prompt
    count: int = 1  # redactions the commit must be credited with
    before: str | None = None  # committed first (outside the analysed commit) when given


RSA_KEY, RSA_BODY = _pem("RSA PRIVATE KEY", "rsa")
PKCS8_KEY, PKCS8_BODY = _pem("PRIVATE KEY", "pkcs8")
CONTEXT_KEY, CONTEXT_BODY = _pem("OPENSSH PRIVATE KEY", "ssh", lines=12)
INLINE_KEY, INLINE_BODY = _pem("PRIVATE KEY", "inline", lines=4)
GCP_KEY, GCP_BODY = _pem("PRIVATE KEY", "gcp", lines=4)
GCP_KEY_ID = _rand("gcpid", 40, "0123456789abcdef")

GHP = "ghp_" + _rand("ghp", 36, _B62)
GH_FINE = "github_pat_11" + _rand("pat1", 20, _B62) + "_" + _rand("pat2", 59, _B62)
OPENAI = "sk-proj-" + _rand("openai", 48, _B62 + "_-")
ANTHROPIC = "sk-ant-api03-" + _rand("anthropic", 40, _B62)
AWS_ID = "AKIA" + _rand("aws", 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
AWS_SECRET = _rand("awssecret", 40, _B64)
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6ImRldiJ9."
       + _rand("jwt", 43, _B62 + "_-"))
SLACK_TOKEN = "xoxb-2048" + _rand("slack", 8, "0123456789") + "-" + _rand("slack2", 24, _B62)
SLACK_HOOK_PATH = "T0" + _rand("t", 8, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") + "/B0" + \
    _rand("b", 8, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") + "/" + _rand("hook", 24, _B62)
STRIPE = "sk_live_" + _rand("stripe", 24, _B62)
GOOGLE = "AIza" + _rand("google", 35, _B62 + "_-")
GITLAB = "glpat-" + _rand("gitlab", 20, _B62)
HF = "hf_" + _rand("hf", 34, _B62)
NPM = "npm_" + _rand("npm", 36, _B62)
AZURE_KEY = base64.b64encode(random.Random("azure").randbytes(64)).decode()
NPMRC_UUID = "7c1e9b2a-43d5-4f6e-9a8b-0c1d2e3f4a5b"
K8S_VALUE = base64.b64encode(b"K8s-Pw-9931").decode()  # too short for any entropy rule
BEARER = _rand("bearer", 40, _B62)
K8S_OLD, K8S_NEW = (base64.b64encode(f"rotated-{n}-Qx81".encode()).decode() for n in (1, 2))
_K8S_MANY = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ndata:\n" + "".join(
    f"  KEY_{i}: {base64.b64encode(f'value-{i}-x9'.encode()).decode()}\n" for i in range(8))

PLANTS: list[Plant] = [
    Plant("pem private key (new file)", "deploy/tls/server.key", RSA_KEY, (RSA_BODY[0], RSA_BODY[7], RSA_BODY[-1])),
    Plant("pem private key in yaml", "deploy/k8s/tls.yaml",
          "tls:\n  key: |\n" + "".join("    " + line + "\n" for line in PKCS8_KEY.splitlines()),
          (PKCS8_BODY[1], PKCS8_BODY[-1])),
    # Only a line after the key changes: the key's last lines are context and one of them is the
    # hunk header's function name, with no BEGIN line anywhere in the patch.
    Plant("private key tail in context and hunk header", "ops/bastion/identity",
          CONTEXT_KEY + "host: bastion-2\n", tuple(CONTEXT_BODY), before=CONTEXT_KEY + "host: bastion-1\n"),
    Plant("private key line in hunk header only", "ops/jump/identity",
          CONTEXT_KEY + "\n" + "".join(f"# note {i}\n" for i in range(2)) + "host: bastion-2\n",
          tuple(CONTEXT_BODY), before=CONTEXT_KEY + "\n" + "".join(f"# note {i}\n" for i in range(2)) + "host: bastion-1\n"),
    Plant("pem private key inline in json", "deploy/service-account.json",
          '{\n  "type": "service_account",\n  "private_key": "' + INLINE_KEY.replace("\n", "\\n") + '"\n}\n',
          tuple(INLINE_BODY)),
    Plant("aws access key id", "src/storage.py", f'ACCESS_KEY_ID = "{AWS_ID}"\n', (AWS_ID,)),
    Plant("aws secret in credentials file", "deploy/aws/credentials",
          f"[default]\naws_secret_access_key = {AWS_SECRET}\nregion = eu-west-1\n", (AWS_SECRET,)),
    Plant("github classic token", "scripts/release.py", f'client = Github("{GHP}")\n', (GHP,)),
    Plant("github fine-grained token", "docs/ci.md", f"Use `{GH_FINE}` for the mirror.\n", (GH_FINE,)),
    Plant("openai key", "src/llm_client.py", f'client = OpenAI(api_key="{OPENAI}")\n', (OPENAI,)),
    Plant("anthropic key", "src/claude.ts", f'const client = new Client("{ANTHROPIC}");\n', (ANTHROPIC,)),
    Plant("jwt", "tests/fixtures/request.http", f"GET /api/me\nAuthorization: Bearer {JWT}\n", (JWT,)),
    Plant("bearer token in curl", "scripts/smoke.sh",
          f'curl -H "Authorization: Bearer {BEARER}" https://api.example.com/health\n', (BEARER,)),
    Plant("url userinfo", "src/settings.py",
          'DATABASE_URL = "postgres://app:Pa55w0rd-x9@db.internal:5432/app"\n', ("Pa55w0rd-x9",)),
    Plant("slack bot token", "src/notify.go", f'const slackToken = "{SLACK_TOKEN}"\n', (SLACK_TOKEN,)),
    Plant("slack webhook url", "scripts/notify.sh",
          f"curl -X POST -d @msg.json https://hooks.slack.com/services/{SLACK_HOOK_PATH}\n",
          (SLACK_HOOK_PATH.rsplit("/", 1)[-1],)),
    Plant("stripe secret key", "src/billing.rb", f"Stripe.api_key = '{STRIPE}'\n", (STRIPE,)),
    Plant("google api key", "web/maps.js", f'const maps = load("{GOOGLE}");\n', (GOOGLE,)),
    Plant("gitlab token", ".gitlab/mirror.cfg", f"[mirror]\nremote_auth = {GITLAB}\n", (GITLAB,)),
    Plant("hugging face token", "notebooks/download.py", f'login("{HF}")\n', (HF,)),
    Plant("quoted password literal", "src/db.py", 'db_password = "hunter2-hunter2"\n', ("hunter2-hunter2",)),
    Plant("dotenv assignment", ".env.production", "DB_PASSWORD=s3cr3t-pw\nLOG_LEVEL=info\n", ("s3cr3t-pw",)),
    Plant("yaml api key", "config/app.yaml", "service:\n  api_key: 9f8e7d6c5b4a39281706\n", ("9f8e7d6c5b4a39281706",)),
    Plant("shell export unquoted", "scripts/deploy.sh",
          "#!/bin/sh\nexport API_TOKEN=tok_8fj3k2l1m0n9\n./deploy --prod\n", ("tok_8fj3k2l1m0n9",)),
    Plant("shell PGPASSWORD", "scripts/backup.sh",
          "#!/bin/bash\nPGPASSWORD=Backup-Pw-2024 pg_dump -h db app > dump.sql\n", ("Backup-Pw-2024",)),
    Plant("dockerfile ENV with space", "Dockerfile",
          "FROM postgres:16\nENV DB_PASSWORD supersecret99\n", ("supersecret99",)),
    Plant("dockerfile ARG npm token", "web/Dockerfile",
          f"FROM node:20\nARG NPM_TOKEN={NPM}\nRUN npm ci\n", (NPM,)),
    Plant("readme env in docker run", "README.md",
          "# Service\n\n```sh\ndocker run -e POSTGRES_PASSWORD=pgPass-7731 -p 5432:5432 postgres:16\n```\n",
          ("pgPass-7731",)),
    Plant("readme yaml password", "docs/README.md",
          "# Setup\n\n```yaml\ndatabase:\n  user: app\n  password: Readme-Pw-5510\n```\n", ("Readme-Pw-5510",)),
    Plant("readme password in prose", "docs/README.demo.md",
          "# Demo\n\nThe demo's admin password: hunter2-the-real-one\n", ("hunter2-the-real-one",)),
    Plant("readme password in prose, more words after", "docs/demo.md",
          "Log in with password: hunter2-the-real-one and change it.\n", ("hunter2-the-real-one",)),
    Plant("readme password in a code span", "docs/quickstart.md",
          "Log in as `admin` with `password: hunter2-the-real-one`.\n", ("hunter2-the-real-one",)),
    Plant("readme password in bold and a list", "docs/defaults.md",
          "Defaults:\n\n* **password**: hunter2-the-real-one\n", ("hunter2-the-real-one",)),
    Plant("readme password in a table", "docs/accounts.md",
          "| setting | value |\n|---|---|\n| password | hunter2-the-real-one |\n", ("hunter2-the-real-one",)),
    Plant("readme password with CRLF line ends", "docs/SETUP.txt",
          "Setup\r\n\r\npassword: hunter2-the-real-one\r\n", ("hunter2-the-real-one",)),
    Plant("gcp service account key", "deploy/gcp-sa.json",
          '{\n  "type": "service_account",\n  "project_id": "acme-prod",\n  "private_key_id": "'
          + GCP_KEY_ID + '",\n  "private_key": "' + GCP_KEY.replace("\n", "\\n") + '",\n'
          '  "client_email": "deploy@acme-prod.iam.gserviceaccount.com"\n}\n',
          (GCP_KEY_ID, *GCP_BODY), count=2),
    Plant("azure connection string", "src/appsettings.json",
          '{\n  "Storage": "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=' + AZURE_KEY
          + ';EndpointSuffix=core.windows.net"\n}\n', (AZURE_KEY,)),
    Plant("npmrc auth token", ".npmrc",
          f"registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken={NPMRC_UUID}\n", (NPMRC_UUID,)),
    Plant("kubernetes secret data", "deploy/k8s/db.yaml",
          f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\ndata:\n  DB_URL: {K8S_VALUE}\n",
          (K8S_VALUE,)),
    # Only one value of a long Secret changes: neither "kind: Secret" nor "data:" is in the hunk.
    Plant("kubernetes secret value changed far from its header", "deploy/k8s/app-secret.yaml",
          # the three unchanged values around it are secrets too: five in all
          _K8S_MANY + f"  SESSION_KEY: {K8S_NEW}\n", (K8S_NEW, K8S_OLD), count=5,
          before=_K8S_MANY + f"  SESSION_KEY: {K8S_OLD}\n"),
]

# Lines that name secrets without holding one, in the files they usually live in: the redactor
# must leave every one of them alone (and count nothing).
ORDINARY: list[tuple[str, str]] = [
    ("src/auth.py", "password = get_password()\n"),
    ("src/auth.py", "def rotate_token(self, token):\n    return self.tokenizer(token)\n"),
    ("src/auth.py", 'DB_PASSWORD=os.environ["DB_PASSWORD"]\n'),
    ("src/models.py", "author = 'Alice Example'\ncompass = 'north'\n"),
    ("scripts/deploy.sh", "export PATH=$PATH:/usr/local/bin\nexport API_TOKEN=$(cat /run/secrets/token)\n"),
    ("scripts/deploy.sh", 'PGPASSWORD="$DB_PASS" psql -h db app\nexport GITHUB_TOKEN\n'),
    ("Dockerfile", "ENV DB_PASSWORD_FILE /run/secrets/db_password\nARG NPM_TOKEN\n"),
    (".github/workflows/ci.yml", "env:\n  GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}\n  token: ${{ github.token }}\n"),
    ("README.md", "Set the password: it must be at least 12 characters long.\n"),
    ("README.md", "Forgot your password: https://example.com/reset\nSet token: configuration values below.\n"),
    ("docs/auth.md", "| password | required |\n| token | string |\nThe password: see the vault for it.\n"),
    ("README.md", "Export `API_TOKEN=<your token>` before running, or `PGPASSWORD=...`.\n"),
    ("deploy/k8s/app.yaml", ("kind: Deployment\nspec:\n  env:\n    - name: DB_PASSWORD\n"
                            "      valueFrom:\n        secretKeyRef:\n          name: db\n          key: password\n")),
    ("deploy/k8s/config.yaml", "kind: ConfigMap\ndata:\n  LOG_LEVEL: debug\n  REGION: eu-west-1\n"),
    ("go.sum", "golang.org/x/text v0.14.0 h1:ScX5w1eTa3QqT8oi6+ziP7dTV1S2+ALU0bI+0zXKWiQ=\n"),
    ("package-lock.json", '"integrity": "sha512-' + _rand("sri", 86, _B64) + '=="\n'),
    ("src/icons.ts", 'export const logo = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ";\n'),
    ("deploy/certs/ca.pem", _pem("CERTIFICATE", "cert")[0]),
    ("config/app.toml", 'token_ttl = "30m"\npassword_min_length = 12\n'),
    # Seen in real repositories' histories, each once redacted by mistake:
    ("tests/test_adapter.py", '{"model.embed_tokens.weight": "model-00001-of-00002.safetensors"}\n'),
    ("helm/values.yaml", "imagePullSecrets: []\ntokenAudiences: []\n"),
    ("deploy/agg.yaml", "spec:\n  envFromSecret: hf-token-secret\n"),
    ("src/providers/ngc.rs", "let _auth = EnvVarGuard::set(&env_lock, NGC_AUTH_ENDPOINT, &server.uri());\n"),
    (".github/actions/test/action.yml", "description: |\n  Credentials: the runner is expected to have IRSA\n"),
    ("deploy/job.yaml", "args:\n  - |\n    token=os.environ.get('HF_TOKEN'),\n"),
    ("deploy/vllm.yaml", "# Build using examples/dynamo_p2p_transfer_k8s/Dockerfile\n"),
    ("src/mount_security.py", 'CREDENTIALLESS_MOUNT_AUTHORITY_KEY = "__openai_agents_credentialless_mount_authority"\n'),
    ("scripts/run_tests.py", 'LOCAL_ONLY_CREDENTIAL_CLASS = "local-only"\nsecret_env = "SMTP_PASSWORD"\n'),
    ("tests/test_images.py", 'PNG = (\n    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mP8/x8AAwMCAO+a84QAAAAASUVORK5CYII="\n)\n'),
    ("tests/test_client.py", 'client = OpenAI(api_key="test-key")\n'),
    ("README.md", "export COMMITDIGEST_LLM_API_KEY=sk-…  # or OPENAI_API_KEY\n"),
    ("cmd/docker-compose.yaml", "environment:\n  - OPENAI_API_KEY=unused\n"),
    ("docs/cli.md", "docker run -e OPENAI_API_KEY=OPENAI_API_KEY aigw run\nOPENAI_API_KEY=sk-.. go test\n"),
    (".prettierignore", "tests/internal/testopeninference/spans\ncmd/aigw/testdata\n"),
    ("deploy/all.yaml", ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  token: ${TOKEN}\n"
                        "---\nkind: MCPRoute\nspec:\n  backend:\n    kind: AIServiceBackend\n"
                        "    type: ExtensionRef\n    contentType: application/json\n")),
    ("internal/metrics/genai.go", ('const (\n\tgenaiTokenTypeInput = "input"\n\tapiKey = "apiKey"\n'
                                  '\tprogressTokenMetadataKey = "progressToken"\n)\n')),
    ("site/releases/index.json", '{"slack": "https://envoyproxy.slack.com/archives/C07Q4N24VAA"}\n'),
    (".github/workflows/release.yaml", "jobs:\n  publish:\n    secrets: inherit\n"),
    ("tests/cassettes/chat.json", '{"id": "chatcmpl-' + _rand("id1", 29, _B62) + '", "trace_id": "'
     + _rand("id2", 32, _B62) + '", "embedding": "' + _rand("emb", 48, _B64) + '"}\n'),
    ("internal/controller/gateway.go", 'const FilterConfigKeyInSecret = "filter-config.yaml"\n'),
    ("cmd/aigw/mcp_secret.yaml", "kind: Secret\nstringData:\n  apiKey: GITHUB_ACCESS_TOKEN\n"),
    ("deploy/webhook.yaml", "caBundle: |\n" + "".join("  " + line + "\n" for line in _pem("CERTIFICATE", "ca2")[1][:3])
     .replace("  MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "  MIIDOzCCAiOgAwIBAgIUU+g1Upp1Qtfp")),
]
