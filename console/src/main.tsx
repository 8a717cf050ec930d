import { render } from "preact";
import { ErrorBoundary, LocationProvider, Route, Router, useLocation } from "preact-iso";
import { useEffect } from "preact/hooks";
import { Layout } from "./components/Layout";
import { BASE } from "./config";
import { SignIn } from "./pages/SignIn";
import { NotFound, ROUTES } from "./routes";
import { useSession } from "./session";
import "./style.css";

/** The server serves the console at / as well; its pages live below /console/. */
function ToBase() {
  const { route, path } = useLocation();
  useEffect(() => {
    if (!path.startsWith(BASE)) route(`${BASE}/`, true);
  }, [path]);
  return null;
}

function App() {
  const session = useSession();
  if (!session) return <SignIn />;
  return (
    <Layout>
      <ErrorBoundary>
        <Router>
          {[
            ...ROUTES.map(([path, page]) => <Route key={path} path={path} component={page} />),
            <Route key="root" path="/" component={ToBase} />,
            <Route key="404" default component={NotFound} />,
          ]}
        </Router>
      </ErrorBoundary>
    </Layout>
  );
}

render(
  <LocationProvider>
    <App />
  </LocationProvider>,
  document.getElementById("app")!,
);
// The first page's "ready" time, since navigation start: the budget the
// browser tests measure (docs/benchmarks.md, "Web console").
performance.mark("slipway:first-render");
