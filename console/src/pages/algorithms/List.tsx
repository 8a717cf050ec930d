// Placeholder: this page is being built.
import { PageHeader } from "../../components/ui";

export default function Page() {
  return <PageHeader title="algorithms — List" />;
}
