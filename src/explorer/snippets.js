// "Copy as": the current call as code for curl, the Python and Node SDKs and the AWS CLI.
// Credentials are never written: every snippet reads them from environment variables
// (ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY). The
// values are the form's, in the types each SDK's request model expects; the BYOK browser
// suite runs every snippet against qkms with the real SDKs.

const py = (v) => JSON.stringify(v).replace(/\btrue\b/g, 'True').replace(/\bfalse\b/g, 'False').replace(/\bnull\b/g, 'None');
const js = (v) => JSON.stringify(v);
const sh = (s) => `'${String(s).replaceAll("'", "'\\''")}'`;
const snake = (name) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
const lowerFirst = (name) => name[0].toLowerCase() + name.slice(1);
const kebab = (name) => snake(name).replaceAll('_', '-');

// In the Tea request models of both Aliyun SDKs these members are maps (the SDK turns them
// into a JSON string); every other JSON-valued member, Tags included, is a string.
const TEA_MAPS = /(EncryptionContext|^ExtendedConfig|^SecretsList)$/;

function teaValues(params) {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, TEA_MAPS.test(k) && typeof v === 'string' ? JSON.parse(v) : v]));
}

function endpoint(origin) {
  const u = new URL(origin);
  return { protocol: u.protocol.replace(':', ''), host: u.host, hostname: u.hostname, port: u.port || (u.protocol === 'https:' ? '443' : '80') };
}

function pythonTea({ name, params, origin, region }) {
  const e = endpoint(origin);
  return `import json
import os

from alibabacloud_kms20160120 import models
from alibabacloud_kms20160120.client import Client
from alibabacloud_tea_openapi.models import Config

client = Client(Config(
    access_key_id=os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"],
    access_key_secret=os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
    protocol=${py(e.protocol)}, endpoint=${py(e.host)}, region_id=${py(region)}))
request = models.${name}Request().from_map(${py(teaValues(params))})
print(json.dumps(client.${snake(name)}(request).body.to_map()))
`;
}

function pythonClassic({ name, params, origin, region }) {
  const e = endpoint(origin);
  const sets = Object.entries(params).map(([k, v]) => `request.set_${k}(${py(typeof v === 'boolean' ? String(v) : v)})\n`).join('');
  return `import os

from aliyunsdkcore.client import AcsClient
from aliyunsdkkms.request.v20160120.${name}Request import ${name}Request

client = AcsClient(os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"], os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
                   ${py(region)}, port=${e.port})
request = ${name}Request()
request.set_endpoint(${py(e.hostname)})
request.set_protocol_type(${py(e.protocol)})
request.set_accept_format("JSON")
${sets}print(client.do_action_with_exception(request).decode())
`;
}

function nodeAlicloud({ name, params, origin, region }) {
  const e = endpoint(origin);
  const model = Object.fromEntries(Object.entries(teaValues(params)).map(([k, v]) => [lowerFirst(k), v]));
  return `import kms from '@alicloud/kms20160120';

const client = new kms.default({
  accessKeyId: process.env.ALIBABA_CLOUD_ACCESS_KEY_ID,
  accessKeySecret: process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
  endpoint: ${js(e.host)}, protocol: ${js(e.protocol)}, regionId: ${js(region)},
});
const response = await client.${lowerFirst(name)}(new kms.${name}Request(${js(model)}));
console.log(JSON.stringify(response));
`;
}

/** AWS members whose value is a blob (base64 in JSON, bytes in the SDKs). */
const blobs = (op) => new Set(Object.entries(Object.values(op?.requestBody?.content ?? {})[0]?.schema?.properties ?? {})
  .filter(([, s]) => s.format === 'byte' || s.contentEncoding === 'base64').map(([k]) => k));

function boto3({ name, params, origin, region, op }) {
  const b = blobs(op);
  const args = Object.entries(params).map(([k, v]) => `    ${k}=${b.has(k) ? `base64.b64decode(${py(v)})` : py(v)},\n`).join('');
  return `import base64
import json

import boto3

kms = boto3.client("kms", endpoint_url=${py(origin)}, region_name=${py(region)})
response = kms.${snake(name)}(
${args})
response.pop("ResponseMetadata", None)
print(json.dumps(response, default=lambda b: base64.b64encode(b).decode() if isinstance(b, bytes) else str(b)))
`;
}

function nodeAws({ name, params, origin, region, op }) {
  const b = blobs(op);
  const members = Object.entries(params).map(([k, v]) => `  ${k}: ${b.has(k) ? `Buffer.from(${js(v)}, 'base64')` : js(v)},\n`).join('');
  return `import { KMSClient, ${name}Command } from '@aws-sdk/client-kms';

const kms = new KMSClient({ endpoint: ${js(origin)}, region: ${js(region)} });
const response = await kms.send(new ${name}Command({
${members}}));
delete response.$metadata;
console.log(JSON.stringify(response, (k, v) => (v && v.constructor === Uint8Array ? Buffer.from(v).toString('base64') : v)));
`;
}

function awsCli({ name, params, origin, region, op }) {
  const b = blobs(op);
  const args = Object.entries(params).map(([k, v]) => {
    if (b.has(k)) return ` \\\n  --${kebab(k)} fileb://<(printf %s ${sh(v)} | base64 -d)`;
    if (typeof v === 'boolean') return ` \\\n  --${v ? '' : 'no-'}${kebab(k)}`;
    return ` \\\n  --${kebab(k)} ${sh(typeof v === 'object' ? JSON.stringify(v) : v)}`;
  }).join('');
  return `# bash (for the <(…) of blob members); credentials from $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY
aws kms ${kebab(name)} --endpoint-url ${sh(origin)} --region ${sh(region)} --output json${args}
`;
}

function curl({ dialect, name, params, origin, region, signed }) {
  if (dialect === 'aws') {
    return `curl -sS ${origin}/ --aws-sigv4 "aws:amz:${region}:kms" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H 'Content-Type: application/x-amz-json-1.1' -H 'X-Amz-Target: TrentService.${name}' --data ${sh(JSON.stringify(params))}\n`;
  }
  const headers = Object.entries(signed.headers).map(([k, v]) => ` -H ${sh(`${k}: ${v}`)}`).join('');
  return `# signed now in the page, valid for 15 minutes and once (its nonce); it holds no secret\ncurl -sS -X POST ${sh(origin + signed.url)}${headers}${signed.body ? ` --data ${sh(signed.body)}` : ''}\n`;
}

const MAKERS = { curl, 'python-tea': pythonTea, 'python-classic': pythonClassic, 'node-alicloud': nodeAlicloud, boto3, 'node-aws': nodeAws, 'aws-cli': awsCli };
const DIALECT = { 'python-tea': 'aliyun', 'python-classic': 'aliyun', 'node-alicloud': 'aliyun', boto3: 'aws', 'node-aws': 'aws', 'aws-cli': 'aws' };

/** The snippet in `lang` for a call: `{dialect, name, params, origin, region, signed, op}`. */
export function snippet(lang, call) {
  const want = DIALECT[lang];
  if (want && want !== call.dialect) {
    return `# ${lang} speaks the ${want === 'aws' ? 'AWS' : 'Alibaba Cloud'} dialect; switch the dialect to ${want} for this action.\n`;
  }
  return MAKERS[lang](call);
}
