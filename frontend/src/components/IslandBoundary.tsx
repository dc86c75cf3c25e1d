import { Component, type ErrorInfo, type ReactNode } from "react";

interface Props {
  children: ReactNode;
  /** Names the widget in the fallback: "The chart could not be shown." */
  name?: string;
}

/** Wrap each island's content: one failing widget shows a message instead of blanking the page. */
export default class IslandBoundary extends Component<Props, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error(error, info.componentStack);
  }

  override render(): ReactNode {
    if (!this.state.failed) return this.props.children;
    return (
      <div className="state error" role="alert">
        <p>{this.props.name ?? "This part of the page"} could not be shown.</p>
        <button type="button" className="button secondary" onClick={() => location.reload()}>
          Reload the page
        </button>
      </div>
    );
  }
}
