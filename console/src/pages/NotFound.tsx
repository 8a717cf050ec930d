import { PageHeader } from "../components/ui";
import { BASE } from "../config";

export default function NotFound() {
  return (
    <>
      <PageHeader title="Page not found" />
      <p>
        There is no console page here. <a href={`${BASE}/`}>Go to the start page.</a>
      </p>
    </>
  );
}
