package telegramtest_test

import (
	"context"
	"fmt"
	"time"

	tg "github.com/go-telegram/bot"

	"github.com/wotschiedam/wotbot/bot/telegramtest"
)

// A bot under test is pointed at the fake server; the test injects what
// residents send and reads what the bot sent back.
func Example() {
	srv := telegramtest.New()
	defer srv.Close()

	// The bot: here a single echo by hand; normally the channel under test.
	client, _ := tg.New(srv.Token, tg.WithServerURL(srv.URL), tg.WithSkipGetMe())
	go func() {
		ctx := context.Background()
		client.SendMessage(ctx, &tg.SendMessageParams{ChatID: 42, Text: "Goedendag!"})
	}()

	srv.SendText(42, 42, "/start", "nl") // queued for getUpdates
	msgs, err := srv.WaitSent(42, 1, 2*time.Second)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(msgs[0].ChatID, msgs[0].Text)
	// Output: 42 Goedendag!
}
