// A confirmation for consequential actions (quarantine, kill switch, approvals): the operator reads
// what will happen, gives a reason, and confirms. Nothing happens on a single stray click.
import { useState } from 'preact/hooks';

export interface ConfirmProps {
  readonly title: string;
  readonly message: string;
  readonly confirmLabel: string;
  readonly danger?: boolean;
  readonly onConfirm: (reason: string) => Promise<void>;
  readonly onClose: () => void;
}

export function ConfirmDialog(props: ConfirmProps) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const confirm = async (): Promise<void> => {
    setBusy(true);
    try {
      await props.onConfirm(reason);
      props.onClose();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
      setBusy(false);
    }
  };
  return (
    <div class="modal-backdrop">
      <div class="modal" role="dialog" aria-modal="true" aria-label={props.title}>
        <h3>{props.title}</h3>
        <p>{props.message}</p>
        <label>
          Reason
          <textarea
            name="reason"
            value={reason}
            onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)}
          />
        </label>
        {error !== undefined && <p class="error">{error}</p>}
        <div class="actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button
            type="button"
            class={props.danger === true ? 'danger' : 'primary'}
            disabled={busy || reason.trim() === ''}
            onClick={() => void confirm()}
          >
            {props.confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
