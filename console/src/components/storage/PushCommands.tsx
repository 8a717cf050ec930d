// The commands that put an image into a repository of this server, with
// the host the browser reached it on: the registry is the API's own port,
// plain HTTP (docs/registry.md), so Podman needs --tls-verify=false.
import { useState } from "preact/hooks";
import { BASE, region } from "../../config";
import { Field } from "../ui";
import { Command } from "./CopyButton";

export const repositoryHref = (name: string) => `${BASE}/registry/${encodeURIComponent(name)}`;

/** What a person types, given where the console is served. */
export function pushCommands(repositoryName: string, localImage: string, tag: string) {
  const host = location.host;
  const target = `${host}/${repositoryName}:${tag}`;
  return {
    target,
    login:
      `aws ecr get-login-password --endpoint-url ${location.origin} --region ${region}` +
      ` | podman login --username AWS --password-stdin --tls-verify=false ${host}`,
    tag: `podman tag ${localImage} ${target}`,
    push: `podman push --tls-verify=false ${target}`,
  };
}

export function PushCommands({ repositoryName, repositoryUri }: { repositoryName: string; repositoryUri: string }) {
  const [localImage, setLocalImage] = useState("localhost/my-model:latest");
  const [tag, setTag] = useState("latest");
  const c = pushCommands(repositoryName, localImage.trim() || "IMAGE", tag.trim() || "latest");
  return (
    <section class="panel" aria-labelledby="push-title">
      <h2 id="push-title">Push commands</h2>
      <div class="two-fields">
        <Field label="Local image" id="push-local-image" hint="The image as Podman knows it (podman images).">
          <input id="push-local-image" value={localImage} onInput={(e) => setLocalImage((e.target as HTMLInputElement).value)} />
        </Field>
        <Field label="Image tag" id="push-tag">
          <input id="push-tag" value={tag} onInput={(e) => setTag((e.target as HTMLInputElement).value)} />
        </Field>
      </div>
      <ol class="steps">
        <li>
          Log in to this registry with a token from ECR GetAuthorizationToken (valid 12 hours; the AWS CLI needs your
          access key in its environment):
          <Command text={c.login} what="login command" />
        </li>
        <li>
          Tag your image for this repository:
          <Command text={c.tag} what="tag command" />
        </li>
        <li>
          Push it:
          <Command text={c.push} what="push command" />
        </li>
        <li>
          Name it in a model package, an algorithm or a model by its ECR URI (or by the pushed name above):
          <Command text={`${repositoryUri}:${tag.trim() || "latest"}`} what="image URI" />
        </li>
      </ol>
    </section>
  );
}
